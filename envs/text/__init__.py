"""The text-env base shared by the tool-use, web and text-game families."""
