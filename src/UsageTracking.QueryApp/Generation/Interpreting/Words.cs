using System.Globalization;
using System.Text;

namespace UsageTracking.QueryApp.Generation.Interpreting;

/// <summary>One word of a question: as typed, and the form it is compared by.</summary>
/// <param name="Text">Lower case, apostrophes and punctuation gone, number words as digits.</param>
/// <param name="Stem">The form words are matched by: plural endings removed.</param>
/// <param name="Original">The word as the user typed it (for messages).</param>
internal readonly record struct Word(string Text, string Stem, string Original)
{
    public bool IsNumber => double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    public double Number => double.Parse(Text, NumberStyles.Float, CultureInfo.InvariantCulture);
}

/// <summary>
/// Splits questions, column names and values into words the same way, so "Alzheimer's", "alzheimers" and "Alzheimer"
/// meet, "studies" meets "study", "five" meets "5", "1,000" and "1k" are 1000, and "execute_sql" is "execute sql".
/// </summary>
internal static class Words
{
    private static readonly Dictionary<string, int> NumberWords = new(StringComparer.Ordinal)
    {
        ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7, ["eight"] = 8,
        ["nine"] = 9, ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["fifteen"] = 15, ["twenty"] = 20, ["thirty"] = 30,
        ["fifty"] = 50, ["hundred"] = 100, ["thousand"] = 1000, ["dozen"] = 12,
    };

    private static readonly Dictionary<string, string> Roman = new(StringComparer.Ordinal) { ["i"] = "1", ["ii"] = "2", ["iii"] = "3", ["iv"] = "4" };

    /// <summary>The words of <paramref name="text"/>.</summary>
    public static List<Word> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<Word>();
        var current = new StringBuilder();
        var original = new StringBuilder();
        void Flush()
        {
            if (current.Length > 0)
            {
                Add(words, current.ToString(), original.ToString());
            }

            current.Clear();
            original.Clear();
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\'' or '’' or '‘')
            {
                // Possessive or elided: "alzheimer's" → "alzheimer", "crohn's" → "crohn", "don't" → "dont".
                if (i + 1 < text.Length && char.ToLowerInvariant(text[i + 1]) == 's' && (i + 2 == text.Length || !char.IsLetter(text[i + 2])))
                {
                    original.Append(c).Append(text[i + 1]);
                    i++;
                }

                continue;
            }

            // Digits keep their decimal point and thousands separators ("1,000.5"); a "k" right after digits is a thousand.
            if ((c is ',' or '.') && current.Length > 0 && char.IsDigit(current[^1]) && i + 1 < text.Length && char.IsDigit(text[i + 1]))
            {
                if (c == '.')
                {
                    current.Append('.');
                }

                original.Append(c);
                continue;
            }

            if (char.IsLetterOrDigit(c) || c == '@' || (c is '.' or '+' && current.ToString().Contains('@', StringComparison.Ordinal)))
            {
                current.Append(char.ToLowerInvariant(RemoveAccent(c)));
                original.Append(c);
            }
            else
            {
                Flush();
            }
        }

        Flush();
        return words;
    }

    private static void Add(List<Word> words, string text, string original)
    {
        // "10k", "2.5k" → thousands; "2020s" stays a word.
        if (text.Length > 1 && text[^1] == 'k' && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var thousands))
        {
            text = (thousands * 1000).ToString(CultureInfo.InvariantCulture);
        }
        else if (NumberWords.TryGetValue(text, out var number))
        {
            text = number.ToString(CultureInfo.InvariantCulture);
        }
        else if (Roman.TryGetValue(text, out var roman) && words.Count > 0 && words[^1].Text == "phase")
        {
            text = roman;
        }

        if (text.Contains('@', StringComparison.Ordinal))
        {
            text = text.TrimEnd('.');
        }

        words.Add(new Word(text, Stem(text), original));
    }

    /// <summary>The form a word is matched by: "studies" → "study", "countries" → "country", "classes" → "class".</summary>
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length <= 3 || !char.IsLetter(word[^1]))
        {
            return word;
        }

        if (word.EndsWith("ies", StringComparison.Ordinal) && word.Length > 4)
        {
            return word[..^3] + "y";
        }

        if (word.EndsWith("sses", StringComparison.Ordinal) || word.EndsWith("shes", StringComparison.Ordinal) || word.EndsWith("ches", StringComparison.Ordinal)
            || word.EndsWith("xes", StringComparison.Ordinal))
        {
            return word[..^2];
        }

        if (word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) && !word.EndsWith("us", StringComparison.Ordinal) && !word.EndsWith("is", StringComparison.Ordinal))
        {
            return word[..^1];
        }

        return word;
    }

    /// <summary>Edit distance (insert, delete, substitute, swap of neighbours), stopping early above <paramref name="limit"/>.</summary>
    public static int Distance(string a, string b, int limit = 3)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (Math.Abs(a.Length - b.Length) > limit)
        {
            return limit + 1;
        }

        var previous2 = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            var best = current[0];
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    current[j] = Math.Min(current[j], previous2[j - 2] + 1);
                }

                best = Math.Min(best, current[j]);
            }

            if (best > limit)
            {
                return limit + 1;
            }

            (previous2, previous, current) = (previous, current, previous2);
        }

        return previous[b.Length];
    }

    /// <summary>How many typing mistakes a word of this length may carry and still be recognised: none below 5 letters.</summary>
    public static int Tolerance(string word) => word.Length switch { < 5 => 0, < 9 => 1, _ => 2 };

    private static char RemoveAccent(char c)
    {
        var decomposed = c.ToString().Normalize(NormalizationForm.FormD);
        return decomposed.Length > 0 && char.IsLetter(decomposed[0]) ? decomposed[0] : c;
    }
}
