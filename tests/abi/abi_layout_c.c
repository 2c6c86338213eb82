/* The C11 half of the layout test: the static assertions of abi_layout.h checked by the C
 * compiler (a plugin written in C sees these offsets), and its view of the sizes for the
 * C++ half to compare at run time. */
#include "abi_layout.h"

void rh_test_abi_layout_from_c(size_t facts[RH_ABI_LAYOUT_FACTS]) { RH_ABI_LAYOUT_FILL(facts); }
