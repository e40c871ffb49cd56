// POST /node/v1/inbound: a node hands over a fax it received (docs/node-protocol.md, "Received
// faxes"). This handler checks the request - the reception record (direction "receive", result
// ok|partial|failed, sane counts and lengths) and the image (tiff_base64 decodes to a TIFF,
// required unless the result is failed) - and passes it to InboundDelivery, which routes, files
// and stores it. It answers 200 {"delivered_to": [...]} only after the store committed, also for
// a record posted again ("duplicate": true, nothing delivered twice).
//
// Refusals: 400 with the field at fault, 403 when a node posts another node's record, 413 when
// the body exceeds maxInboundBytes (checked by ApiServer before parsing), 500 when the store
// fails (the node keeps its spool copy and retries). Authentication (401) is the router's.
//
// Thread-safety: stateless apart from the InboundDelivery it calls, which is thread-safe.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "gateway/delivery/inbound_delivery.h"

namespace faxgate::gateway {

// Decodes standard base64 (RFC 4648, '=' padding; CR, LF and spaces ignored). Returns false on
// any other character or a bad length, leaving `out` unspecified.
bool decodeBase64Strict(std::string_view text, std::string& out);

// True if `data` starts like a TIFF file ("II*\0" or "MM\0*").
bool looksLikeTiff(std::string_view data);

class InboundApi {
  public:
    // `delivery` must outlive this object.
    explicit InboundApi(InboundDelivery& delivery);

    // Handles the parsed body posted by the authenticated node `nodeId`; returns the answer
    // body. Throws HttpError (json_http.h) for refusals, StoreError when storing fails.
    Poco::JSON::Object handle(const std::string& nodeId, const Poco::JSON::Object& body);

  private:
    InboundDelivery& delivery_;
};

}  // namespace faxgate::gateway
