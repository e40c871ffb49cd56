// Resolution arithmetic of the fax page (see fax_page.h).
#include "gateway/image/fax_page.h"

namespace faxgate::gateway {

int verticalDpi(FaxResolution r) { return r == FaxResolution::Fine ? 196 : 98; }

int a4HeightPx(FaxResolution r) {
    // 297 mm = 11.69 in; 2292 rows fine, 1146 normal: the page lengths fax machines use.
    return r == FaxResolution::Fine ? 2292 : 1146;
}

}  // namespace faxgate::gateway
