// Declarations only (include/CFuzzer.h); a C target needs one source file.
#include "CFuzzer.h"
