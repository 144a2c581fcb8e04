"""Alert channels (owned by the channels helper; see alerts/channels/config.py's note)."""
