using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace UsageTracking.Implementation;

/// <summary>
/// Brings an event within <see cref="FieldLimits"/> and fills in its defaults, on the writer thread
/// (or on the caller's in durable mode). Never throws: whatever cannot be kept is replaced and counted.
/// </summary>
internal sealed class EventNormalizer(
    string appName,
    string defaultUser,
    DeliveryCounters counters,
    ILogger logger,
    LogLevel truncationLevel,
    PrivacyOptions? privacy = null,
    Func<string?, UserInfo?>? cachedUserInfo = null)
{
    private readonly PrivacyOptions _privacy = privacy ?? new PrivacyOptions();

    private const string MissingAction = "unknown";

    private static readonly JsonSerializerOptions PropertiesJsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    public UsageEvent Normalize(UsageEvent e)
    {
        try
        {
            return Protect(NormalizeCore(e));
        }
        catch (Exception ex)
        {
            // Last resort, so one strange event can never stop the writer: keep what is certainly safe, and say why.
            var timestamp = e.Timestamp == default ? DateTimeOffset.UnixEpoch : e.Timestamp.ToUniversalTime();
            return new UsageEvent
            {
                Timestamp = timestamp,
                AppName = appName,
                User = defaultUser,
                Action = MissingAction,
                EventId = EventIds.New(timestamp),
                IsError = e.IsError,
                PropertiesJson = Serialize(new Dictionary<string, object?> { ["_error"] = $"event could not be normalised: {ex.GetType().Name}" }),
            };
        }
    }

    private UsageEvent NormalizeCore(UsageEvent e)
    {
        var eventId = e.EventId is { Length: > 0 and <= 64 } id ? id : null;
        if (e.EventId is not null && eventId is null)
        {
            Truncated(TruncatedField.EventId, e.EventId.Length, 64);
        }

        var app = Clean(e.AppName, FieldLimits.AppName, TruncatedField.AppName);
        var user = Clean(e.User, FieldLimits.User, TruncatedField.User);
        var action = Clean(e.Action, FieldLimits.Action, TruncatedField.Action);
        var session = Clean(e.SessionId, FieldLimits.SessionId, TruncatedField.SessionId);
        var detail = Clean(e.Detail, FieldLimits.Detail, TruncatedField.Detail);
        var model = Clean(e.Model, FieldLimits.Model, TruncatedField.Model);
        var properties = PropertiesText(e);
        var timestamp = e.Timestamp.Offset == TimeSpan.Zero ? e.Timestamp : e.Timestamp.ToUniversalTime();
        var duration = e.DurationMs is { } d && !double.IsFinite(d) ? null : e.DurationMs;
        // The one error rule: flagged by the app, or named like the *_error actions.
        var isError = e.IsError || UsageErrors.IsErrorName(action);

        var unchanged = ReferenceEquals(app, e.AppName) && ReferenceEquals(user, e.User) && ReferenceEquals(action, e.Action)
            && ReferenceEquals(session, e.SessionId) && ReferenceEquals(detail, e.Detail) && ReferenceEquals(model, e.Model)
            && ReferenceEquals(properties, e.PropertiesJson) && e.Properties is null && timestamp == e.Timestamp
            && duration == e.DurationMs && ReferenceEquals(eventId, e.EventId) && isError == e.IsError;

        var result = unchanged ? e : e with
        {
            AppName = app,
            User = user,
            Action = action ?? MissingAction,
            SessionId = session,
            Detail = detail,
            Model = model,
            PropertiesJson = properties,
            Properties = null,
            Timestamp = timestamp,
            DurationMs = duration,
            EventId = eventId,
            IsError = isError,
        };

        result.AssignDefaults(appName, defaultUser, string.IsNullOrWhiteSpace(result.EventId) ? EventIds.New(timestamp) : result.EventId);
        if (string.IsNullOrWhiteSpace(result.AppName) || string.IsNullOrWhiteSpace(result.User) || string.IsNullOrWhiteSpace(result.Action))
        {
            result = result with
            {
                AppName = string.IsNullOrWhiteSpace(result.AppName) ? appName : result.AppName,
                User = string.IsNullOrWhiteSpace(result.User) ? defaultUser : result.User,
                Action = string.IsNullOrWhiteSpace(result.Action) ? MissingAction : result.Action,
            };
        }

        return result;
    }

    /// <summary>
    /// Adds looked-up user details, then applies the privacy settings. Safe to repeat on an event that went through it
    /// (a replayed or journaled one): a hashed user is recognised and not hashed again, redaction finds nothing left.
    /// </summary>
    private UsageEvent Protect(UsageEvent e)
    {
        var privacy = _privacy;
        var info = cachedUserInfo?.Invoke(e.User);
        if (info is null && !privacy.HashUsers && !privacy.DropDetail && !privacy.RedactFreeText)
        {
            return e;
        }

        var properties = info is null ? e.PropertiesJson : WithUserInfo(e.PropertiesJson, info, privacy.HashUsers);
        var detail = privacy.DropDetail ? null : e.Detail;
        if (privacy.RedactFreeText)
        {
            detail = PrivacyFilter.Redact(detail);
            properties = PrivacyFilter.RedactJson(properties);
        }

        var user = privacy.HashUsers && e.User is { } raw && !IsHashed(raw) ? PrivacyFilter.Hash(raw, privacy.HashKey ?? "") : e.User;
        return ReferenceEquals(user, e.User) && ReferenceEquals(detail, e.Detail) && ReferenceEquals(properties, e.PropertiesJson)
            ? e
            : e with { User = user, Detail = detail, PropertiesJson = properties };
    }

    private static bool IsHashed(string user) =>
        user.Length == 34 && user.StartsWith("u_", StringComparison.Ordinal) && user.AsSpan(2).IndexOfAnyExcept("0123456789abcdef") < 0;

    private static string WithUserInfo(string? properties, UserInfo info, bool usersHashed)
    {
        var node = (properties is null ? null : JsonNode.Parse(properties) as JsonObject) ?? new JsonObject();
        var userInfo = new JsonObject { ["timezone"] = info.Timezone };
        if (!usersHashed)
        {
            // With hashed users, the name and address would undo the hashing: only the time zone is kept.
            userInfo["real_name"] = info.RealName;
            userInfo["email"] = info.Email;
        }

        node["user_info"] = userInfo;
        if (info.Metadata is { } metadata)
        {
            var flags = new JsonObject();
            foreach (var (name, value) in new[] { ("is_admin", metadata.IsAdmin), ("is_owner", metadata.IsOwner), ("is_bot", metadata.IsBot),
                         ("is_deleted", metadata.IsDeleted), ("is_restricted", metadata.IsRestricted) })
            {
                if (value is { } known)
                {
                    flags[name] = known;
                }
            }

            node["user_metadata"] = flags;
        }

        return node.ToJsonString(PropertiesJsonOptions);
    }

    private string? Clean(string? value, int max, TruncatedField field)
    {
        if (value is null)
        {
            return null;
        }

        var text = value;
        if (text.Length > max)
        {
            var cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
            text = text[..cut];
            Truncated(field, value.Length, max);
        }

        return ReplaceUnencodable(text);
    }

    /// <summary>
    /// Lone surrogates cannot be encoded as UTF-8 (the spool's JSON writer refuses them) and NUL is refused
    /// by PostgreSQL text: both become U+FFFD, as SQLite's own UTF-8 conversion would do for surrogates.
    /// </summary>
    internal static string ReplaceUnencodable(string text)
    {
        var span = text.AsSpan();
        if (span.IndexOfAnyInRange('\uD800', '\uDFFF') < 0 && span.IndexOf('\0') < 0)
        {
            return text;
        }

        return string.Create(text.Length, text, static (dest, src) =>
        {
            for (var i = 0; i < src.Length; i++)
            {
                var c = src[i];
                if (char.IsHighSurrogate(c) && i + 1 < src.Length && char.IsLowSurrogate(src[i + 1]))
                {
                    dest[i] = c;
                    dest[i + 1] = src[i + 1];
                    i++;
                }
                else
                {
                    dest[i] = char.IsSurrogate(c) || c == '\0' ? '\uFFFD' : c;
                }
            }
        });
    }

    private string? PropertiesText(UsageEvent e)
    {
        string? json;
        if (e.PropertiesJson is not null)
        {
            var text = ReplaceUnencodable(e.PropertiesJson);
            json = IsJsonObject(text)
                ? text
                : Serialize(new Dictionary<string, object?> { ["_invalid_json"] = ReplaceUnencodable(Truncate(text, 1_000)) });
        }
        else if (e.Properties is not null)
        {
            try
            {
                json = ReplaceUnencodable(JsonSerializer.Serialize(e.Properties, PropertiesJsonOptions));
            }
            catch (Exception ex)
            {
                json = Serialize(new Dictionary<string, object?> { ["_error"] = $"properties could not be serialised: {ex.GetType().Name}" });
            }
        }
        else
        {
            return null;
        }

        if (json.Length > FieldLimits.PropertiesJson)
        {
            Truncated(TruncatedField.Properties, json.Length, FieldLimits.PropertiesJson);
            return Serialize(new Dictionary<string, object?> { ["_truncated"] = true, ["_length"] = json.Length });
        }

        return json;
    }

    private void Truncated(TruncatedField field, int length, int limit)
    {
        counters.AddTruncated(field);
        Log.Truncated(logger, truncationLevel, DeliveryCounters.Name(field), length, limit);
    }

    private static string Serialize(Dictionary<string, object?> value) => JsonSerializer.Serialize(value, PropertiesJsonOptions);

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            return false;
        }
    }
}
