"""Built-in modules: one package per module, each with one ``exports`` object."""
