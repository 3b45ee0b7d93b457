"""The Management Interface (MI): the reply tree, the command registry and
the core commands.  Transports (mi_fifo, mi_datagram) are modules."""
