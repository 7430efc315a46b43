"""Reading: files, folders, globs and standard input into ``Story`` records, one module per
format, and the normalising and segmenting of their text."""
