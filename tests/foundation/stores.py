"""Where the scale-out tests keep their Redis data (flushed before and after each test)."""

REDIS_URL = "redis://127.0.0.1:6379/15"
