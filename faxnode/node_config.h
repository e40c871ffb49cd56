// Every configuration key of the fax node, with its default, declared here and only here
// (Postfix's mail_params.h habit). The file is INI (Poco::Util::IniFileConfiguration):
//
//   [node]      id, listen_address, port, public_url, spool_dir, max_request_bytes,
//               shutdown_grace_ms, time_zone
//   [gateway]   url, ca_file, secret, heartbeat_interval_ms, retry_max_ms
//   [line.<id>] driver, number, station_id, header, max_bit_rate, ecm, resolution,
//               dial_prefix, concurrency, and the sim driver's sim.dial_ms, sim.page_ms,
//               sim.busy, sim.no_answer, sim.no_carrier, sim.fail, sim.fail_after_pages,
//               sim.remote_csid, sim.exchange_dir
//
// The lines, [node] time_zone and [gateway] secret are the node's settings document
// (common/node_settings.h, docs/settings.md) as version 0: their defaults and checks are that
// document's, so a line reads the same from this file and from the gateway. Once the gateway
// has pushed settings, <spool_dir>/settings.json replaces them (faxnode/settings_applier.h).
//
// Validation happens once, at load; every error names the section and key, e.g.
// `[gateway] heartbeat_interval_ms: expected an integer 100..600000, got "fast"`. Unknown
// keys are errors too, so a typo does not silently fall back to a default.
// See contrib/node-1.ini for a commented example.
#pragma once

#include <Poco/Util/AbstractConfiguration.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/node_settings.h"

namespace faxgate::node {

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct NodeConfig {
    // [node]
    std::string nodeId;                            // id: required, [A-Za-z0-9_-], 1..64 chars
    std::string listenAddress = "127.0.0.1";       // listen_address: IP the node API binds to
    int port = 8081;                               // port: 0 = any free port (tests)
    std::string publicUrl;                         // public_url: how the gateway reaches us;
                                                   //   empty = http://<listen_address>:<port>
    std::string spoolDir;                          // spool_dir: required; records and job TIFFs
    int64_t maxRequestBytes = 64LL * 1024 * 1024;  // max_request_bytes: larger bodies get 413
    int64_t shutdownGraceMs = 5000;                // shutdown_grace_ms: calls in progress at
                                     //   stop may finish this long, then are cancelled

    // [gateway]
    std::string gatewayUrl = "http://127.0.0.1:8080";  // url: base URL of the gateway, http://
                                                       //   or https:// (its [http] tls_*)
    std::string gatewayCaFile;  // ca_file: PEM certificates trusted for an https gateway,
                                //   besides the system's (a private CA, a self-signed cert)
    int64_t heartbeatIntervalMs = 2000;  // heartbeat_interval_ms: until the gateway
                                         //   says otherwise in its hello answer
    int64_t retryMaxMs = 30000;          // retry_max_ms: back-off cap while the
                                         //   gateway is unreachable

    // What the gateway may change centrally, as settings document version 0:
    //   settings.nodeId     = [node] id
    //   settings.timeZone   = [node] time_zone (default "UTC")
    //   settings.secret     = [gateway] secret: required; shared with the gateway, 8..256
    //                         printable ASCII characters
    //   settings.lines      = the [line.<id>] sections in the order of their IDs; at least one.
    //                         Keys as in the document (docs/settings.md), sim.* for "sim".
    // url, keep_lines_for_receive and retry stay unset: the gateway keeps those.
    settings::NodeSettings settings;
};

// Reads and validates an INI file. Throws ConfigError naming the file, or the section and key.
NodeConfig loadNodeConfig(const std::string& path);

// Validates configuration already loaded (tests build one from a string). Throws ConfigError.
NodeConfig parseNodeConfig(const Poco::Util::AbstractConfiguration& ini);

// The URL the gateway should use for this node: public_url, or one built from the address
// and the port actually bound (which differs from `port` when that is 0).
std::string effectivePublicUrl(const NodeConfig& config, int boundPort);

}  // namespace faxgate::node
