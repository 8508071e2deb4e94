namespace UsageTracking;

/// <summary>
/// What the tracker keeps about people, bound from <c>UsageTracking:Privacy</c>. Applied on the background writer
/// before anything is written or spooled (in durable mode, before the journal), so neither the store nor the disk
/// buffers hold what these settings remove.
/// </summary>
public sealed class PrivacyOptions
{
    /// <summary>
    /// Store each user as a keyed hash (<c>u_</c> + 32 hex digits of HMAC-SHA256 of the lower-cased user) instead of
    /// the e-mail address. Distinct-user counts still work; reversing needs <see cref="HashKey"/>. Default false.
    /// </summary>
    public bool HashUsers { get; set; }

    /// <summary>The secret key of <see cref="HashUsers"/>, at least 16 characters; keep it out of source control. Never logged.</summary>
    public string? HashKey { get; set; }

    /// <summary>Store no <c>detail</c> text (error messages often quote user input). Default false.</summary>
    public bool DropDetail { get; set; }

    /// <summary>
    /// Replace e-mail addresses with <c>[email]</c> and runs of six or more digits with <c>[number]</c> inside
    /// <c>detail</c> and the string values of <c>properties</c>. Default false.
    /// </summary>
    public bool RedactFreeText { get; set; }

    /// <summary>The user as it is stored under these settings: the keyed hash with <see cref="HashUsers"/>, else the user unchanged.</summary>
    /// <param name="user">The user as the app passed it.</param>
    public string StoredUser(string user) => HashUsers ? Implementation.PrivacyFilter.Hash(user, HashKey ?? "") : user;
}

/// <summary>Facts about a user that an <see cref="IUserEnricher"/> looks up, stored in <c>properties.user_info</c>.</summary>
/// <param name="RealName">The person's name.</param>
/// <param name="Timezone">An IANA time zone, e.g. <c>Europe/Paris</c>.</param>
/// <param name="Email">The e-mail address.</param>
public sealed record UserInfo(string? RealName, string? Timezone, string? Email)
{
    /// <summary>What kind of account it is (admin, owner, bot, deleted, restricted), stored in <c>properties.user_metadata</c>.</summary>
    public UserMetadata? Metadata { get; init; }
}

/// <summary>
/// A user's account attributes, as a chat workspace or directory reports them; null where unknown. They say nothing about
/// who the person is, so they are kept when users are hashed.
/// </summary>
/// <param name="IsAdmin">A workspace admin.</param>
/// <param name="IsOwner">A workspace owner.</param>
/// <param name="IsBot">A bot account.</param>
/// <param name="IsDeleted">A deactivated account.</param>
/// <param name="IsRestricted">A guest or restricted account.</param>
public sealed record UserMetadata(bool? IsAdmin = null, bool? IsOwner = null, bool? IsBot = null, bool? IsDeleted = null, bool? IsRestricted = null);

/// <summary>
/// Looks up who a user is (a directory, Slack, an identity provider). Called on the background writer for users not in
/// the cache (<see cref="UsageTrackingOptions.UserInfoCacheDuration"/>, default 30 days), at most 2 seconds a lookup;
/// a failure or timeout stores the event without <c>user_info</c>. Register it in DI or set <see cref="UsageTrackingOptions.UserEnricher"/>.
/// </summary>
public interface IUserEnricher
{
    /// <summary>The user's details, or null when unknown.</summary>
    /// <param name="user">The user as the app passed it (before any hashing).</param>
    /// <param name="cancellationToken">Cancelled when the lookup takes too long.</param>
    ValueTask<UserInfo?> EnrichAsync(string user, CancellationToken cancellationToken);
}
