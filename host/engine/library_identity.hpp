// What identifies the code of a loaded task library, for rh::cache::task_source(): the GNU
// build id of the object that holds a given function (the linker's hash of the code, the
// same for the same build wherever it is installed), else the SHA-256 of that object's file.
#pragma once

#include <string>

namespace rh::host {

// "build-id:<hex>" or "sha256:<hex>"; empty when neither can be found (the caller then
// treats task_source() as not computable).
std::string library_identity_of(const void* function_address);

}  // namespace rh::host
