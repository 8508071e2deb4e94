using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MimeKit;

namespace UsageTracking.Tests.Support;

/// <summary>
/// A real SMTP server on 127.0.0.1: Debian's aiosmtpd (python3-aiosmtpd, installed by scripts/install-test-deps.sh)
/// with its Maildir handler, so each message it accepts is a file the test reads back with MimeKit.
/// </summary>
public sealed class SmtpReceiver : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process _process;
    private readonly TempFolder _maildir;

    private SmtpReceiver(Process process, TempFolder maildir, int port)
    {
        _process = process;
        _maildir = maildir;
        Port = port;
    }

    public int Port { get; }

    public static async Task<SmtpReceiver> StartAsync()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing; scripts/install-test-deps.sh installs python3-aiosmtpd.");
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var maildir = new TempFolder();
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-u", "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", Path.Combine(maildir.Path, "mail")])
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        var receiver = new SmtpReceiver(process, maildir, port);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return receiver;
            }
            catch (SocketException) when (attempt < 100 && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                var error = process.HasExited ? await process.StandardError.ReadToEndAsync() : "no answer in 10 s";
                await receiver.DisposeAsync();
                throw new InvalidOperationException($"aiosmtpd did not start: {error}");
            }
        }
    }

    /// <summary>The messages received so far.</summary>
    public IReadOnlyList<MimeMessage> Messages()
    {
        var folders = new[] { "new", "cur" }.Select(f => Path.Combine(_maildir.Path, "mail", f)).Where(Directory.Exists);
        return folders.SelectMany(Directory.EnumerateFiles).Select(file => MimeMessage.Load(file)).ToList();
    }

    /// <summary>The messages once there are <paramref name="count"/> of them (delivery is asynchronous), or after 10 s.</summary>
    public async Task<IReadOnlyList<MimeMessage>> MessagesAsync(int count)
    {
        for (var attempt = 0; ; attempt++)
        {
            var messages = Messages();
            if (messages.Count >= count || attempt == 100)
            {
                return messages;
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _maildir.Dispose();
    }
}
