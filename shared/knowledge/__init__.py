"""Knowledge collections (knowledge bases): the collection resource; files and search come later."""
