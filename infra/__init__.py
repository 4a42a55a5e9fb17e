"""How Clickpath reaches and runs its infrastructure: settings, clients, the embedded ClickHouse."""
