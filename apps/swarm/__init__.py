"""The only package that imports `docker`. No Django imports here."""
