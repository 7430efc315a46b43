"""The detection core: fingerprints, candidates, verification, boilerplate and clustering, as
plain functions over arrays that every engine calls."""
