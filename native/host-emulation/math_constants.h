// The one constant of CUDA's math_constants.h that the kernels use, for the host emulation (run.sh puts this
// directory on the include path).
#pragma once
#include <cmath>
#define CUDART_INF_F HUGE_VALF
