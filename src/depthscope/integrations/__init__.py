"""Optional integrations with training frameworks (each imports its framework only when used):
:mod:`depthscope.integrations.transformers` (Hugging Face ``Trainer``)."""
