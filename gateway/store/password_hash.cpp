// PBKDF2-HMAC-SHA256 password hashes (see password_hash.h for the format and its reasons).
// OpenSSL does the cryptography: PKCS5_PBKDF2_HMAC for the KDF, RAND_bytes for salts,
// CRYPTO_memcmp for a comparison whose time does not depend on where the bytes differ.
#include "gateway/store/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace faxgate::gateway {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kHashBytes = 32;  // SHA-256 output: one PBKDF2 block, no extra work
// Salts we accept when verifying; we write kPasswordSaltBytes.
constexpr std::size_t kMinSaltBytes = 8;
constexpr std::size_t kMaxSaltBytes = 64;

std::string base64Encode(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3), '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

// Strict standard base64 with padding; nullopt for anything else (EVP_DecodeBlock alone
// would accept surrounding whitespace and does not report padding).
std::optional<std::vector<unsigned char>> base64Decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                              (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (alphabet) {
            if (padding > 0) return std::nullopt;  // data after '='
        } else if (c == '=' && i + 2 >= text.size()) {
            ++padding;
        } else {
            return std::nullopt;
        }
    }
    std::vector<unsigned char> out(3 * (text.size() / 4));
    const int decoded =
        EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                        static_cast<int>(text.size()));
    if (decoded < 0 || static_cast<std::size_t>(decoded) != out.size()) return std::nullopt;
    out.resize(out.size() - padding);
    return out;
}

bool deriveKey(const std::string& password, const unsigned char* salt, std::size_t saltBytes,
               int iterations, unsigned char* out) {
    return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt,
                             static_cast<int>(saltBytes), iterations, EVP_sha256(),
                             static_cast<int>(kHashBytes), out) == 1;
}

}  // namespace

std::string hashPassword(const std::string& password) {
    if (password.size() > kMaxPasswordBytes) {
        throw std::invalid_argument("password longer than " + std::to_string(kMaxPasswordBytes) +
                                    " bytes");
    }
    unsigned char salt[kPasswordSaltBytes];
    if (RAND_bytes(salt, static_cast<int>(sizeof salt)) != 1) {
        throw std::runtime_error("hashPassword: the system random generator failed");
    }
    unsigned char hash[kHashBytes];
    if (!deriveKey(password, salt, sizeof salt, kPbkdf2Iterations, hash)) {
        throw std::runtime_error("hashPassword: PKCS5_PBKDF2_HMAC failed");
    }
    std::string encoded(kScheme);
    encoded += '$';
    encoded += std::to_string(kPbkdf2Iterations);
    encoded += '$';
    encoded += base64Encode(salt, sizeof salt);
    encoded += '$';
    encoded += base64Encode(hash, sizeof hash);
    return encoded;
}

bool verifyPassword(const std::string& password, const std::string& encoded) {
    if (password.size() > kMaxPasswordBytes) return false;
    // scheme $ iterations $ salt $ hash: exactly four fields.
    std::vector<std::string_view> fields;
    std::string_view rest(encoded);
    for (;;) {
        const std::size_t dollar = rest.find('$');
        fields.push_back(rest.substr(0, dollar));
        if (dollar == std::string_view::npos || fields.size() > 4) break;
        rest.remove_prefix(dollar + 1);
    }
    if (fields.size() != 4) return false;
    if (fields[0] != kScheme) return false;

    int iterations = 0;
    const auto [end, error] =
        std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), iterations);
    if (error != std::errc() || end != fields[1].data() + fields[1].size()) return false;
    if (iterations < 1 || iterations > kMaxPbkdf2Iterations) return false;

    const auto salt = base64Decode(fields[2]);
    const auto expected = base64Decode(fields[3]);
    if (!salt || salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes) return false;
    if (!expected || expected->size() != kHashBytes) return false;

    unsigned char actual[kHashBytes];
    if (!deriveKey(password, salt->data(), salt->size(), iterations, actual)) return false;
    return CRYPTO_memcmp(actual, expected->data(), kHashBytes) == 0;
}

}  // namespace faxgate::gateway
