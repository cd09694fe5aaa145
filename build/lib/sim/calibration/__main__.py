"""``python -m sim.calibration``: fit the calibrated constants to their targets (``sim/calibration/fit.py``)."""

import sys

from sim.calibration.fit import main

sys.exit(main())
