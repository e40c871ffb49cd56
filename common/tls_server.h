// Server-side TLS for the programs' TCP servers: loading the certificate and key into a
// Poco::Net::Context, and starting TLS on a connection that was accepted in plain text
// (STARTTLS, or at once on an implicit-TLS port). Knows nothing of the protocols on top.
//
// Interface: loadTlsServerContext() once when a server is built, releaseTlsServerContext()
// once when it is torn down (they hold an OpenSSL initialisation reference between them);
// startServerTls() per connection, from that connection's thread.
//
// Diagnostics: loadTlsServerContext() throws std::runtime_error naming the component, the
// certificate and key files and OpenSSL's reason; startServerTls() lets Poco's exception
// through (a failed handshake is the peer's doing, the caller decides what to tell it).
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <optional>
#include <string>

namespace faxgate {

// Initialises Poco's SSL library and returns a TLS server context for the PEM certificate
// (chain) and private key: TLS 1.2 or newer, no client certificates asked for. The caller
// must pass the context to releaseTlsServerContext() when done with it. On failure nothing is
// left initialised and std::runtime_error says "<component>: cannot load TLS certificate
// '<certificateFile>' / key '<privateKeyFile>': <reason>".
Poco::Net::Context::Ptr loadTlsServerContext(const std::string& component,
                                             const std::string& certificateFile,
                                             const std::string& privateKeyFile);

// Drops `context` and the SSL library reference loadTlsServerContext() took; does nothing if
// `context` is null (the server ran without TLS). Call it after the last connection ended.
void releaseTlsServerContext(Poco::Net::Context::Ptr& context);

// Starts TLS as the server on the accepted connection `plain`: `secure` is set to the TLS
// socket over it and the handshake is completed. Throws Poco::Exception if the handshake
// fails (`secure` is set all the same, so the caller closes the TLS side as usual).
void startServerTls(std::optional<Poco::Net::SecureStreamSocket>& secure,
                    Poco::Net::StreamSocket& plain, const Poco::Net::Context::Ptr& context);

}  // namespace faxgate
