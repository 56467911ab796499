"""Text games: a generated adventure (TextQuest) and word/logic games."""
