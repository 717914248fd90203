"""WTForms forms, one module per audience."""
