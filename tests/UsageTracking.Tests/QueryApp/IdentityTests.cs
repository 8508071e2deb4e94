using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using UsageTracking.QueryApp.Identity;

namespace UsageTracking.Tests.QueryApp;

/// <summary>Identity through ASP.NET Core authentication, over real HTTP: the access key's cookie, its lockout, the proxy header, cross-site requests.</summary>
public sealed class IdentityTests
{
    private const string DefaultUser = "query-app-user@localhost";

    [Fact]
    public async Task WrongKeys_LockTheFormForThatAddress_EvenForTheRightKey_WithOneSentence()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 100, ("QueryApp:AccessKey", "open sesame"));
        using var client = host.Client();
        for (var i = 1; i < LoginThrottle.MaxFailures; i++)
        {
            Assert.Contains("That key is not right", await FlowEndpointsTests.LoginAsync(client, $"guess {i}"), StringComparison.Ordinal);
        }

        Assert.Contains("Too many wrong keys from this computer; try again in 15 minutes.", await FlowEndpointsTests.LoginAsync(client, "last guess"), StringComparison.Ordinal);
        Assert.Contains("Too many wrong keys from this computer", await FlowEndpointsTests.LoginAsync(client, "open sesame"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public void Lockout_EndsAfterTheWindow_AndARightKeyClearsTheCount()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var throttle = new LoginThrottle(time);
        var address = IPAddress.Parse("10.0.0.7");
        for (var i = 1; i < LoginThrottle.MaxFailures; i++)
        {
            Assert.False(throttle.Failed(address));
        }

        throttle.Succeeded(address);
        Assert.False(throttle.Failed(address));
        Assert.Null(throttle.LockedUntil(address));
        for (var i = 2; i <= LoginThrottle.MaxFailures; i++)
        {
            Assert.Equal(i == LoginThrottle.MaxFailures, throttle.Failed(address));
        }

        Assert.Equal(time.GetUtcNow() + LoginThrottle.Window, throttle.LockedUntil(address));
        Assert.Null(throttle.LockedUntil(IPAddress.Parse("10.0.0.8")));
        time.Advance(LoginThrottle.Window);
        Assert.Null(throttle.LockedUntil(address));
    }

    [Fact]
    public async Task TheRightKey_SetsAnAuthenticationCookie_AndOnlyAPathOfThisAppIsALoginsReturnAddress()
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 100, ("QueryApp:AccessKey", "open sesame"));
        using var client = host.Client();
        var redirect = await client.GetAsync("/dashboard?range=24h");
        Assert.Equal("/login", redirect.Headers.Location!.AbsolutePath);

        var form = await client.GetStringAsync("/login?returnUrl=//evil.example/steal");
        Assert.Equal("/", FlowEndpointsTests.HiddenFields(form)["ReturnUrl"]);
        var response = await PostLoginAsync(client, "open sesame", "/dashboard?range=24h");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(new Uri(host.Address, "/dashboard?range=24h"), new Uri(host.Address, response.Headers.Location!));
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("ut_access=", StringComparison.Ordinal) && c.Contains("httponly", StringComparison.OrdinalIgnoreCase) && c.Contains("samesite=strict", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/dashboard?range=24h")).StatusCode);
        Assert.Equal(new Uri(host.Address, "/"), new Uri(host.Address, (await PostLoginAsync(client, "open sesame", "https://evil.example/")).Headers.Location!));
    }

    [Fact]
    public async Task ATrustedProxyHeader_IsTheUser_ASpoofedOneIsIgnored_AndAMalformedOneIsNobody()
    {
        await using var untrusted = await QueryAppHost.StartAsync(demoStudies: 100, ("QueryApp:AccessKey", "open sesame"));
        using (var client = untrusted.Client())
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-Email", "mallory@evil.example");
            Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/questions")).StatusCode);
        }

        await using var trusted = await QueryAppHost.StartAsync(demoStudies: 100, ("QueryApp:TrustForwardedHeaders", "true"), ("QueryApp:AccessKey", "open sesame"));
        using (var proxied = trusted.Client())
        {
            // The proxy authenticated the user: no key on top.
            proxied.DefaultRequestHeaders.Add("X-Forwarded-Email", "ana@example.org");
            var page = await proxied.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("ana@example.org", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var malformed = trusted.Client();
        malformed.DefaultRequestHeaders.Add("X-Forwarded-Email", "not an address");
        Assert.Equal(HttpStatusCode.Redirect, (await malformed.GetAsync("/")).StatusCode);
        var events = await trusted.EventsAsync();
        Assert.Equal(["ana@example.org"], events.Select(e => e.User));
    }

    [Theory]
    [InlineData("Origin", "https://evil.example")]
    [InlineData("Origin", "null")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    public async Task ACrossSitePost_IsRefused_BeforeAnythingHappens(string header, string value)
    {
        await using var host = await QueryAppHost.StartAsync(demoStudies: 100);
        using var client = host.Client();
        await client.GetAsync("/");
        foreach (var (path, body) in new (string, object)[]
        {
            ("/api/run", new { source = "demo", sql = "SELECT 1" }),
            ("/api/feedback", new { runId = "x", positive = true }),
            ("/api/glossary", new { source = "demo", term = "derm", column = "condition" }),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            request.Headers.Add(header, value);
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal(CrossSiteGuard.Refusal, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        }

        using var login = new HttpRequestMessage(HttpMethod.Post, "/login") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Key"] = "x" }) };
        login.Headers.Add(header, value);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(login)).StatusCode);

        // Only app_start: nothing the refused requests asked for was run or tracked.
        Assert.Equal([Actions.AppStart], (await host.EventsAsync()).Select(e => e.Action));

        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/run") { Content = JsonContent.Create(new { source = "demo", sql = "SELECT 1 AS one" }) };
        sameOrigin.Headers.Add("Origin", host.Address.GetLeftPart(UriPartial.Authority));
        sameOrigin.Headers.Add("Sec-Fetch-Site", "same-origin");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(sameOrigin)).StatusCode);
    }

    private static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string key, string returnUrl)
    {
        var form = await client.GetStringAsync("/login");
        var fields = FlowEndpointsTests.HiddenFields(form);
        fields["Key"] = key;
        fields["ReturnUrl"] = returnUrl;
        return await client.PostAsync("/login", new FormUrlEncodedContent(fields));
    }
}
