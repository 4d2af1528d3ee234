"""C emitters, one file per operator: int8/ (offset-binary int8 kernels) and float32/."""
