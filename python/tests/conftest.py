"""Makes `import softmax` work from a checkout (python/ on sys.path); the library comes from $SOFTMAX_LIBRARY."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
