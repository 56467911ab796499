"""Multi-agent risk games (PettingZoo): the Risk board game, matrix games with
catastrophic outcomes and an unsignalled intersection."""
