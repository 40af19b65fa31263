// The constants of CUDA's math_constants.h that kernels/*.cu use, for their host build (simt.h).
#pragma once
#define CUDART_INF_F __builtin_huge_valf()
#define CUDART_NAN_F __builtin_nanf("")
