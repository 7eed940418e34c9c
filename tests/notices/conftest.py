"""The fake chat platforms (``fake_chat``), and no request of a notice test leaves the machine."""

from tests.notices.chat_servers import _loopback_only, fake_chat  # noqa: F401 - fixtures
