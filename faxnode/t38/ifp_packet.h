// The length of a T.38 IFP packet (ITU-T T.38 clause 7, the IFPPacket ASN.1 type in ALIGNED
// PER), found by walking its structure: for packets rebuilt from UDPTL parity (FEC), which
// come back zero-padded to the longest packet of their parity group because T.38 FEC
// carries no lengths (udptl_session.h). SpanDSP's decoder refuses a packet with octets
// after its end, so the padding must go before the packet reaches the T.38 terminal.
//
// Layout walked (first octet: data-field present, type-of-msg choice, enumerated extension
// bit, 4-bit value; an extended value takes a second octet):
//   t30-indicator: 1 or 2 octets, never a data field
//   t30-data:      1 or 2 octets, then, with a data field, a count (one octet, < 128) of
//                  fields, each a field-type octet (two when extended; version 0 packs two
//                  data-less field types per octet) and, when present, field-data as a 16-bit
//                  (length - 1) and the octets
// Bytes come from the network: every read is checked against the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace faxgate::node::t38 {

// Octets of the IFP packet that starts `bytes`, for T.38 `version` (0..3; version 0 has the
// original ASN.1's packing of field types); nullopt when `bytes` does not start with a
// complete IFP packet of a form this walker knows (a count of fields of 128 or more).
std::optional<std::size_t> ifpPacketBytes(std::span<const uint8_t> bytes, int version);

// `ifp` without the zero octets after its end, when it is a complete IFP packet followed
// only by zeros; otherwise `ifp` unchanged (the terminal then judges it).
std::span<const uint8_t> withoutZeroPadding(std::span<const uint8_t> ifp, int version);

}  // namespace faxgate::node::t38
