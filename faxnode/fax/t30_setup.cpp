// T.30 engine set-up and phase E reading (see t30_setup.h), on SpanDSP 0.0.6's t30 API.
#include "faxnode/fax/t30_setup.h"

#include <spandsp.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace faxgate::node::fax {

namespace {

int supportedModems(int maxBitRate) {
    if (maxBitRate >= 12000) return T30_SUPPORT_V17 | T30_SUPPORT_V29 | T30_SUPPORT_V27TER;
    if (maxBitRate >= 7200) return T30_SUPPORT_V29 | T30_SUPPORT_V27TER;
    return T30_SUPPORT_V27TER;
}

int supportedResolutions(const T30Settings& s) {
    int resolutions = T30_SUPPORT_STANDARD_RESOLUTION | T30_SUPPORT_R8_RESOLUTION;
    if (s.fineResolution) resolutions |= T30_SUPPORT_FINE_RESOLUTION;
    if (s.superfineResolution) resolutions |= T30_SUPPORT_SUPERFINE_RESOLUTION;
    return resolutions;
}

int supportedCompressions(const T30Settings& s) {
    int compressions = T30_SUPPORT_T4_1D_COMPRESSION;
    if (s.t4TwoDimensional) compressions |= T30_SUPPORT_T4_2D_COMPRESSION;
    if (s.t6) compressions |= T30_SUPPORT_T6_COMPRESSION;
    return compressions;
}

// Station IDs travel space-padded; SpanDSP returns NULL when none was received.
std::string trimmedIdent(const char* ident) {
    if (ident == nullptr) return {};
    std::string text(ident);
    const auto notSpace = [](unsigned char c) { return !std::isspace(c); };
    text.erase(text.begin(), std::find_if(text.begin(), text.end(), notSpace));
    text.erase(std::find_if(text.rbegin(), text.rend(), notSpace).base(), text.end());
    return text;
}

// Pages of the TIFF to send, without opening it when it is not there (libtiff would print).
int countTiffPages(const std::string& path) {
    std::error_code ignored;
    if (!std::filesystem::is_regular_file(path, ignored)) return 0;
    TIFF* tiff = TIFFOpen(path.c_str(), "r");
    if (tiff == nullptr) return 0;
    const int pages = TIFFNumberOfDirectories(tiff);
    TIFFClose(tiff);
    return pages;
}

}  // namespace

int configureT30(t30_state_s* t30, FaxRole role, const T30Settings& settings,
                 const std::string& tiffPath) {
    t30_set_tx_ident(t30, settings.stationId.c_str());
    if (!settings.headerInfo.empty()) t30_set_tx_page_header_info(t30, settings.headerInfo.c_str());
    t30_set_ecm_capability(t30, settings.ecm);
    t30_set_supported_modems(t30, supportedModems(settings.maxBitRate));
    t30_set_supported_resolutions(t30, supportedResolutions(settings));
    t30_set_supported_compressions(t30, supportedCompressions(settings));
    if (role == FaxRole::kCaller) {
        t30_set_tx_file(t30, tiffPath.c_str(), -1, -1);
        return countTiffPages(tiffPath);
    }
    t30_set_rx_file(t30, tiffPath.c_str(), -1);
    return 0;
}

void readT30Result(t30_state_s* t30, int completionCode, int documentPages, T30Result& result) {
    t30_stats_t stats;
    t30_get_transfer_statistics(t30, &stats);
    result.completionCode = completionCode;
    const char* text = t30_completion_code_to_str(completionCode);
    result.completionText = text != nullptr ? text : "";
    if (result.role == FaxRole::kCaller) {
        result.pages = stats.pages_tx;
        result.pagesTotal = std::max(documentPages, stats.pages_tx);
    } else {
        result.pages = stats.pages_rx;
        result.pagesTotal = stats.pages_rx;
    }
    if (result.faxPeerSeen) {
        result.bitRate = stats.bit_rate;
        result.ecm = stats.error_correcting_mode != 0;
        result.remoteStationId = trimmedIdent(t30_get_rx_ident(t30));
    }
}

}  // namespace faxgate::node::fax
