"""The symbolic core: parsing, derivation, Taylor polynomials and stable
rewriting. SymPy only: nothing here knows of optimizers, networks, plots or
the command line."""
