"""The check catalogue: one module per check type (see ``catalogue.CHECK_TYPES``)."""
