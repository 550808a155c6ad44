"""The custom resource's API: typed models (the single source of truth) and the CRD built from them."""
