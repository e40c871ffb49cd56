// UDPTL packet parsing and encoding (see udptl_packet.h). The parser reads through a cursor
// that checks the bytes left before every read; each loop consumes at least one octet, so
// the work is bounded by the datagram's size.
#include "faxnode/t38/udptl_packet.h"

#include <algorithm>

namespace faxgate::node::t38 {

namespace {

constexpr std::size_t kFragmentItems = 16384;  // X.691: a fragment carries m * 16K items
constexpr std::size_t kMaxFragmentMultiplier = 4;
constexpr std::size_t kOneOctetLimit = 128;
constexpr uint8_t kSecondaryPacketsChoice = 0x00;
constexpr uint8_t kFecChoice = 0x80;
constexpr std::size_t kMaxFecSpanOctets = 4;  // fec-npackets values up to 2^31 - 1

// One length determinant: a count of items, and whether more fragments follow.
struct LengthPart {
    std::size_t items = 0;
    bool fragment = false;
};

class Cursor {
  public:
    explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

    std::size_t left() const { return bytes_.size() - position_; }
    bool atEnd() const { return left() == 0; }

    bool readOctet(uint8_t& octet) {
        if (left() < 1) return false;
        octet = bytes_[position_++];
        return true;
    }

    bool readOctets(std::size_t count, std::vector<uint8_t>& into) {
        if (left() < count) return false;
        into.insert(into.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(position_),
                    bytes_.begin() + static_cast<std::ptrdiff_t>(position_ + count));
        position_ += count;
        return true;
    }

    // X.691 10.9.3.5-8, canonical forms only. `previousShortFragment`: the fragment before
    // this one had fewer than 4 * 16K items, so the value must end here.
    UdptlParseError readLength(LengthPart& part, bool previousShortFragment) {
        uint8_t first = 0;
        if (!readOctet(first)) return UdptlParseError::kTruncated;
        if ((first & 0x80) == 0) {
            part = {first, false};
            return UdptlParseError::kNone;
        }
        if ((first & 0x40) == 0) {
            uint8_t second = 0;
            if (!readOctet(second)) return UdptlParseError::kTruncated;
            const std::size_t value = (static_cast<std::size_t>(first & 0x3f) << 8) | second;
            if (value < kOneOctetLimit) return UdptlParseError::kNonCanonicalLength;
            part = {value, false};
            return UdptlParseError::kNone;
        }
        const std::size_t multiplier = first & 0x3f;
        if (multiplier < 1 || multiplier > kMaxFragmentMultiplier || previousShortFragment) {
            return UdptlParseError::kNonCanonicalLength;
        }
        part = {multiplier * kFragmentItems, true};
        return UdptlParseError::kNone;
    }

  private:
    std::span<const uint8_t> bytes_;
    std::size_t position_ = 0;
};

// Reads a length-prefixed octet string (fragments joined) into `into`.
UdptlParseError readOctetString(Cursor& cursor, std::vector<uint8_t>& into) {
    into.clear();
    LengthPart part;
    bool shortFragment = false;
    do {
        if (UdptlParseError e = cursor.readLength(part, shortFragment);
            e != UdptlParseError::kNone) {
            return e;
        }
        if (!cursor.readOctets(part.items, into)) return UdptlParseError::kTruncated;
        shortFragment = part.fragment && part.items < kMaxFragmentMultiplier * kFragmentItems;
    } while (part.fragment);
    return UdptlParseError::kNone;
}

UdptlParseError readOpenType(Cursor& cursor, std::vector<uint8_t>& into) {
    if (UdptlParseError e = readOctetString(cursor, into); e != UdptlParseError::kNone) return e;
    return into.empty() ? UdptlParseError::kEmptyIfp : UdptlParseError::kNone;
}

// SEQUENCE OF with an unconstrained count: each fragment of the count is followed by its items.
template <typename ReadItem>
UdptlParseError readSequenceOf(Cursor& cursor, std::vector<std::vector<uint8_t>>& items,
                               ReadItem readItem) {
    items.clear();
    LengthPart part;
    bool shortFragment = false;
    do {
        if (UdptlParseError e = cursor.readLength(part, shortFragment);
            e != UdptlParseError::kNone) {
            return e;
        }
        for (std::size_t i = 0; i < part.items; ++i) {
            // Every item takes at least one octet: a count beyond the bytes left is truncation,
            // found before any allocation for it.
            if (cursor.atEnd()) return UdptlParseError::kTruncated;
            items.emplace_back();
            if (UdptlParseError e = readItem(cursor, items.back()); e != UdptlParseError::kNone) {
                return e;
            }
        }
        shortFragment = part.fragment && part.items < kMaxFragmentMultiplier * kFragmentItems;
    } while (part.fragment);
    return UdptlParseError::kNone;
}

// fec-npackets: an unconstrained INTEGER, i.e. a length determinant (octets) and a minimal
// two's complement value; only non-negative values make sense as a packet count.
UdptlParseError readFecSpan(Cursor& cursor, uint32_t& span) {
    LengthPart part;
    if (UdptlParseError e = cursor.readLength(part, false); e != UdptlParseError::kNone) return e;
    if (part.fragment || part.items < 1 || part.items > kMaxFecSpanOctets) {
        return UdptlParseError::kBadFecSpan;
    }
    std::vector<uint8_t> octets;
    if (!cursor.readOctets(part.items, octets)) return UdptlParseError::kTruncated;
    if ((octets[0] & 0x80) != 0) return UdptlParseError::kBadFecSpan;  // negative
    if (octets.size() > 1 && octets[0] == 0 && (octets[1] & 0x80) == 0) {
        return UdptlParseError::kBadFecSpan;  // a leading zero octet it did not need
    }
    span = 0;
    for (uint8_t octet : octets) span = (span << 8) | octet;
    return UdptlParseError::kNone;
}

std::size_t fecSpanOctets(uint32_t span) {
    if (span < 0x80) return 1;
    if (span < 0x8000) return 2;
    if (span < 0x800000) return 3;
    return 4;
}

// Writes the length determinant(s) of `count` items, calling writeItems(first, last) for the
// items each part announces.
template <typename WriteItems>
void writeWithLength(std::vector<uint8_t>& out, std::size_t count, WriteItems writeItems) {
    std::size_t done = 0;
    for (;;) {
        const std::size_t remaining = count - done;
        if (remaining >= kFragmentItems) {
            const std::size_t multiplier =
                std::min(kMaxFragmentMultiplier, remaining / kFragmentItems);
            out.push_back(static_cast<uint8_t>(0xc0 | multiplier));
            writeItems(done, done + multiplier * kFragmentItems);
            done += multiplier * kFragmentItems;
            continue;
        }
        if (remaining < kOneOctetLimit) {
            out.push_back(static_cast<uint8_t>(remaining));
        } else {
            out.push_back(static_cast<uint8_t>(0x80 | (remaining >> 8)));
            out.push_back(static_cast<uint8_t>(remaining));
        }
        writeItems(done, count);
        return;
    }
}

void writeOctetString(std::vector<uint8_t>& out, const std::vector<uint8_t>& octets) {
    writeWithLength(out, octets.size(), [&](std::size_t first, std::size_t last) {
        out.insert(out.end(), octets.begin() + static_cast<std::ptrdiff_t>(first),
                   octets.begin() + static_cast<std::ptrdiff_t>(last));
    });
}

void writeSequenceOf(std::vector<uint8_t>& out, const std::vector<std::vector<uint8_t>>& items) {
    writeWithLength(out, items.size(), [&](std::size_t first, std::size_t last) {
        for (std::size_t i = first; i < last; ++i) writeOctetString(out, items[i]);
    });
}

std::size_t octetStringBytes(const std::vector<uint8_t>& octets) {
    return lengthDeterminantBytes(octets.size()) + octets.size();
}

std::size_t sequenceOfBytes(const std::vector<std::vector<uint8_t>>& items) {
    std::size_t bytes = lengthDeterminantBytes(items.size());
    for (const auto& item : items) bytes += octetStringBytes(item);
    return bytes;
}

}  // namespace

const char* describe(UdptlParseError error) {
    switch (error) {
        case UdptlParseError::kNone:
            return "ok";
        case UdptlParseError::kTruncated:
            return "a field or length runs past the end of the datagram";
        case UdptlParseError::kNonCanonicalLength:
            return "a length determinant is not in its shortest valid form";
        case UdptlParseError::kEmptyIfp:
            return "an IFP packet of length 0";
        case UdptlParseError::kBadRecoveryChoice:
            return "the error-recovery octet is neither 0x00 nor 0x80";
        case UdptlParseError::kBadFecSpan:
            return "fec-npackets is negative, not minimal or longer than 4 octets";
        case UdptlParseError::kTrailingBytes:
            return "bytes after the end of the UDPTL packet";
    }
    return "unknown UDPTL parse error";
}

UdptlParseResult parseUdptlPacket(std::span<const uint8_t> datagram) {
    UdptlParseResult result;
    UdptlPacket& packet = result.packet;
    Cursor cursor(datagram);
    auto fail = [&](UdptlParseError error) {
        result.error = error;
        return result;
    };

    uint8_t high = 0;
    uint8_t low = 0;
    if (!cursor.readOctet(high) || !cursor.readOctet(low)) return fail(UdptlParseError::kTruncated);
    packet.sequence = static_cast<uint16_t>((high << 8) | low);
    if (UdptlParseError e = readOpenType(cursor, packet.primary); e != UdptlParseError::kNone) {
        return fail(e);
    }
    uint8_t choice = 0;
    if (!cursor.readOctet(choice)) return fail(UdptlParseError::kTruncated);
    UdptlParseError error = UdptlParseError::kNone;
    if (choice == kSecondaryPacketsChoice) {
        packet.recovery = UdptlRecoveryKind::kSecondaryPackets;
        error = readSequenceOf(cursor, packet.secondaries, readOpenType);
    } else if (choice == kFecChoice) {
        packet.recovery = UdptlRecoveryKind::kFec;
        error = readFecSpan(cursor, packet.fecSpan);
        if (error == UdptlParseError::kNone) {
            error = readSequenceOf(cursor, packet.fecEntries, readOctetString);
        }
    } else {
        error = UdptlParseError::kBadRecoveryChoice;
    }
    if (error != UdptlParseError::kNone) return fail(error);
    if (!cursor.atEnd()) return fail(UdptlParseError::kTrailingBytes);
    return result;
}

std::size_t lengthDeterminantBytes(std::size_t value) {
    std::size_t bytes = 0;
    while (value >= kFragmentItems) {
        value -= std::min(kMaxFragmentMultiplier, value / kFragmentItems) * kFragmentItems;
        ++bytes;
    }
    return bytes + (value < kOneOctetLimit ? 1 : 2);
}

std::size_t udptlPacketBytes(const UdptlPacket& packet) {
    std::size_t bytes = 2 + octetStringBytes(packet.primary) + 1;
    if (packet.recovery == UdptlRecoveryKind::kSecondaryPackets) {
        bytes += sequenceOfBytes(packet.secondaries);
    } else {
        bytes += 1 + fecSpanOctets(packet.fecSpan) + sequenceOfBytes(packet.fecEntries);
    }
    return bytes;
}

std::vector<uint8_t> encodeUdptlPacket(const UdptlPacket& packet) {
    const auto empty = [](const std::vector<uint8_t>& ifp) { return ifp.empty(); };
    const bool secondaries = packet.recovery == UdptlRecoveryKind::kSecondaryPackets;
    if (packet.primary.empty() ||
        (secondaries && std::any_of(packet.secondaries.begin(), packet.secondaries.end(), empty)) ||
        (!secondaries && packet.fecSpan > 0x7fffffffu)) {
        return {};
    }
    std::vector<uint8_t> out;
    out.reserve(udptlPacketBytes(packet));
    out.push_back(static_cast<uint8_t>(packet.sequence >> 8));
    out.push_back(static_cast<uint8_t>(packet.sequence));
    writeOctetString(out, packet.primary);
    if (secondaries) {
        out.push_back(kSecondaryPacketsChoice);
        writeSequenceOf(out, packet.secondaries);
    } else {
        out.push_back(kFecChoice);
        const std::size_t octets = fecSpanOctets(packet.fecSpan);
        out.push_back(static_cast<uint8_t>(octets));
        for (std::size_t i = octets; i > 0; --i) {
            out.push_back(static_cast<uint8_t>(packet.fecSpan >> (8 * (i - 1))));
        }
        writeSequenceOf(out, packet.fecEntries);
    }
    return out;
}

}  // namespace faxgate::node::t38
