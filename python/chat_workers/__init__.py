"""Queue consumers of the chat: the greeter bot and the welcome e-mail worker."""
