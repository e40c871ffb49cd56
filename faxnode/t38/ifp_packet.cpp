// Walking an IFP packet to find its end (see ifp_packet.h).
#include "faxnode/t38/ifp_packet.h"

#include <algorithm>

namespace faxgate::node::t38 {

namespace {

constexpr uint8_t kDataFieldPresent = 0x80;
constexpr uint8_t kDataMessage = 0x40;   // type-of-msg: t30-data (else t30-indicator)
constexpr uint8_t kTypeExtended = 0x20;  // the enumerated value is past the root values
constexpr uint8_t kFieldDataPresent = 0x80;
constexpr uint8_t kFieldTypeExtended = 0x40;
constexpr std::size_t kMaxOneOctetCount = 127;

}  // namespace

std::optional<std::size_t> ifpPacketBytes(std::span<const uint8_t> bytes, int version) {
    const std::size_t size = bytes.size();
    if (size < 1) return std::nullopt;
    const uint8_t first = bytes[0];
    std::size_t position = (first & kTypeExtended) != 0 ? 2 : 1;
    if (position > size) return std::nullopt;
    if ((first & kDataMessage) == 0) {
        // An indicator never has a data field.
        return (first & kDataFieldPresent) == 0 ? std::optional<std::size_t>(position)
                                                : std::nullopt;
    }
    if ((first & kDataFieldPresent) == 0) return position;
    if (position >= size) return std::nullopt;
    const std::size_t count = bytes[position++];
    if (count > kMaxOneOctetCount) return std::nullopt;
    bool inSecondHalf = false;  // version 0: the next field type is in the low nibble
    for (std::size_t field = 0; field < count; ++field) {
        if (position >= size) return std::nullopt;
        bool dataPresent = false;
        if (version == 0) {
            if (inSecondHalf) {
                dataPresent = (bytes[position] & 0x08) != 0;
                ++position;
                inSecondHalf = false;
            } else {
                dataPresent = (bytes[position] & kFieldDataPresent) != 0;
                if (dataPresent) {
                    ++position;
                } else {
                    inSecondHalf = true;
                }
            }
        } else {
            dataPresent = (bytes[position] & kFieldDataPresent) != 0;
            position += (bytes[position] & kFieldTypeExtended) != 0 ? 2 : 1;
        }
        if (dataPresent) {
            if (position + 2 > size) return std::nullopt;
            const std::size_t octets =
                ((std::size_t{bytes[position]} << 8) | bytes[position + 1]) + 1;
            position += 2;
            if (octets > size - position) return std::nullopt;
            position += octets;
        }
    }
    // Version 0: a last field type in the high nibble still occupies its octet.
    if (inSecondHalf) ++position;
    if (position > size) return std::nullopt;
    return position;
}

std::span<const uint8_t> withoutZeroPadding(std::span<const uint8_t> ifp, int version) {
    const std::optional<std::size_t> bytes = ifpPacketBytes(ifp, version);
    if (!bytes || *bytes == ifp.size()) return ifp;
    const auto padding = ifp.subspan(*bytes);
    if (!std::all_of(padding.begin(), padding.end(), [](uint8_t b) { return b == 0; })) return ifp;
    return ifp.first(*bytes);
}

}  // namespace faxgate::node::t38
