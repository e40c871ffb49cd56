// UDPTL packets (ITU-T T.38 clause 9, the UDPTLPacket ASN.1 type in ALIGNED PER): a 16-bit
// sequence number, the primary IFP packet, and error recovery information, which is either
// copies of earlier IFP packets ("secondary IFP packets", redundancy) or parity data over
// groups of earlier packets ("fec-info": the number of packets XORed into each entry and the
// entries). Parsing a received datagram and encoding one to send; no sockets, no state
// (udptl_session.h numbers, keeps history and recovers losses).
//
// Wire format, every part octet aligned:
//   seq-number            2 octets, big-endian
//   primary-ifp-packet    open type: length determinant + that many octets (at least 1)
//   error-recovery        1 octet: 0x00 secondary-ifp-packets, 0x80 fec-info (CHOICE index
//                         bit, then padding to the octet boundary)
//   secondary-ifp-packets length determinant (count), then each packet as an open type,
//                         newest first (sequence number - 1, - 2, ...)
//   fec-info              fec-npackets: unconstrained INTEGER (length octet + two's
//                         complement value); fec-data: length determinant (count), then each
//                         entry as an OCTET STRING (length determinant + octets)
// Length determinants (X.691 10.9): n < 128 one octet 0nnnnnnn; n < 16384 two octets
// 10nnnnnn nnnnnnnn; larger values come in fragments, an octet 11000mmm announcing m * 16384
// items (m = 1..4) that follow, repeated, and always closed by a final determinant of the
// remainder in one of the first two forms (possibly 0).
//
// The parser takes bytes straight off the network and is a fuzz target: it checks every
// length against the bytes left before reading, accepts only the canonical encoding (shortest
// length forms, zero padding bits, a minimal non-negative fec-npackets, no trailing bytes), and
// reports malformed input as a UdptlParseError, never by reading out of bounds or throwing.
// Because it is canonical, encoding what it accepted gives back the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace faxgate::node::t38 {

// Which CHOICE of error-recovery a packet carries.
enum class UdptlRecoveryKind { kSecondaryPackets, kFec };

// One UDPTL packet with its parts copied out of the datagram (a fragmented open type is not
// contiguous on the wire, so the parts cannot simply point into it).
struct UdptlPacket {
    uint16_t sequence = 0;
    std::vector<uint8_t> primary;  // the IFP packet of this sequence number
    UdptlRecoveryKind recovery = UdptlRecoveryKind::kSecondaryPackets;
    // kSecondaryPackets: copies of the IFP packets numbered sequence - 1, sequence - 2, ...
    std::vector<std::vector<uint8_t>> secondaries;
    // kFec: entry m is the XOR of the packets numbered sequence + m - entries * k for
    // k = 1..fecSpan (entries = fecEntries.size()), each zero-padded to the longest one.
    uint32_t fecSpan = 0;
    std::vector<std::vector<uint8_t>> fecEntries;
    bool operator==(const UdptlPacket&) const = default;
};

enum class UdptlParseError {
    kNone,
    kTruncated,           // a field or an announced length runs past the end of the datagram
    kNonCanonicalLength,  // a length determinant in a longer form than its value needs
    kEmptyIfp,            // an IFP packet (open type) of length 0
    kBadRecoveryChoice,   // the error-recovery octet is neither 0x00 nor 0x80
    kBadFecSpan,          // fec-npackets negative, not minimal, or longer than 4 octets
    kTrailingBytes,       // bytes left after the packet's last field
};

// Plain words for an error, for logs and counters.
const char* describe(UdptlParseError error);

struct UdptlParseResult {
    UdptlParseError error = UdptlParseError::kNone;
    UdptlPacket packet;  // meaningful only when ok()
    bool ok() const { return error == UdptlParseError::kNone; }
};

UdptlParseResult parseUdptlPacket(std::span<const uint8_t> datagram);

// Octets a length determinant for `value` takes (fragment octets and the final part).
std::size_t lengthDeterminantBytes(std::size_t value);

// Octets encodeUdptlPacket() produces for `packet`.
std::size_t udptlPacketBytes(const UdptlPacket& packet);

// The packet's wire form, or an empty vector when it cannot be encoded: an empty primary or
// secondary IFP packet (PER has no empty open type; T.38 has no empty IFP packet).
std::vector<uint8_t> encodeUdptlPacket(const UdptlPacket& packet);

}  // namespace faxgate::node::t38
