"""The command line: thin commands over the core and the runtime. No Qt is imported here;
the app is imported only when `modeldesk` is started without a command."""
