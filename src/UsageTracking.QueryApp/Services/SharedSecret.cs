using System.Security.Cryptography;
using System.Text;

namespace UsageTracking.QueryApp.Services;

/// <summary>Compares a key someone sent with the configured one in constant time (hashes first, so the length leaks nothing either).</summary>
internal static class SharedSecret
{
    public static bool Matches(string? given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given ?? "")), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
