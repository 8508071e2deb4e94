using System.Text;

namespace UsageTracking.QueryApp.Generation;

internal static class QuestionText
{
    /// <summary>Lower case, apostrophes dropped, punctuation to spaces, single spaces: how questions are compared.</summary>
    public static string Normalize(string question)
    {
        var builder = new StringBuilder(question.Length);
        var space = false;
        foreach (var c in question.Trim().ToLowerInvariant())
        {
            if (c is '\'' or '’')
            {
                continue;
            }

            if (char.IsLetterOrDigit(c) || c is '-' or '&')
            {
                builder.Append(c);
                space = false;
            }
            else if (!space && builder.Length > 0)
            {
                builder.Append(' ');
                space = true;
            }
        }

        return builder.ToString().TrimEnd();
    }
}
