// Server-side TLS context and TLS start on accepted connections; see tls_server.h.
#include "common/tls_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetSSL.h>

#include <stdexcept>

namespace faxgate {

Poco::Net::Context::Ptr loadTlsServerContext(const std::string& component,
                                             const std::string& certificateFile,
                                             const std::string& privateKeyFile) {
    Poco::Net::initializeSSL();
    try {
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, privateKeyFile,
                                   certificateFile, "", Poco::Net::Context::VERIFY_NONE);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        return context;
    } catch (const Poco::Exception& error) {
        Poco::Net::uninitializeSSL();
        throw std::runtime_error(component + ": cannot load TLS certificate '" + certificateFile +
                                 "' / key '" + privateKeyFile + "': " + error.displayText());
    }
}

void releaseTlsServerContext(Poco::Net::Context::Ptr& context) {
    if (context.isNull()) return;
    context = nullptr;
    Poco::Net::uninitializeSSL();
}

void startServerTls(std::optional<Poco::Net::SecureStreamSocket>& secure,
                    Poco::Net::StreamSocket& plain, const Poco::Net::Context::Ptr& context) {
    secure.emplace(Poco::Net::SecureStreamSocket::attach(plain, context));
    secure->completeHandshake();
}

}  // namespace faxgate
