using System.Globalization;
using Microsoft.Data.Sqlite;

namespace UsageTracking.QueryApp.Data;

/// <summary>
/// The demo data: a synthetic clinical-trials table like the earlier app's, generated deterministically
/// (same seed, same rows on every machine) into its own SQLite file on first run.
/// </summary>
public static class DemoData
{
    /// <summary>The demo table's name.</summary>
    public const string Table = "clinical_trials";

    /// <summary>Conditions studied, in the generator's weighting order.</summary>
    public static readonly string[] Conditions =
    [
        "Breast Cancer", "Type 2 Diabetes", "Hypertension", "Alzheimer's Disease", "Asthma", "COVID-19", "Lung Cancer",
        "Heart Failure", "Depression", "Rheumatoid Arthritis", "Parkinson's Disease", "Obesity", "Prostate Cancer",
        "Multiple Sclerosis", "Chronic Kidney Disease", "Psoriasis", "HIV", "Migraine", "Schizophrenia", "Leukemia",
        "Melanoma", "COPD", "Osteoarthritis", "Crohn's Disease", "Hepatitis B",
    ];

    /// <summary>Study sponsors.</summary>
    public static readonly string[] Sponsors =
    [
        "Pfizer", "Novartis", "Roche", "Merck Sharp & Dohme", "AstraZeneca", "GlaxoSmithKline", "Sanofi", "Johnson & Johnson",
        "Bristol-Myers Squibb", "Eli Lilly", "AbbVie", "Bayer", "Novo Nordisk", "Amgen", "Gilead Sciences", "Takeda",
        "Boehringer Ingelheim", "Biogen", "National Cancer Institute", "Mayo Clinic", "Karolinska Institutet",
        "University of Oxford", "Assistance Publique - Hôpitaux de Paris", "Charité Berlin", "Peking University",
        "University of Toronto", "Massachusetts General Hospital", "Stanford University",
    ];

    /// <summary>Countries where studies run.</summary>
    public static readonly string[] Countries =
    [
        "United States", "China", "France", "Germany", "United Kingdom", "Canada", "Spain", "Italy", "Japan", "Netherlands",
        "Sweden", "Australia", "Brazil", "India", "South Korea", "Switzerland", "Belgium", "Denmark", "Poland", "Israel",
    ];

    /// <summary>Trial phases.</summary>
    public static readonly string[] Phases = ["Early Phase 1", "Phase 1", "Phase 2", "Phase 3", "Phase 4", "Not Applicable"];

    /// <summary>Recruitment statuses.</summary>
    public static readonly string[] Statuses =
        ["Recruiting", "Not yet recruiting", "Active, not recruiting", "Completed", "Terminated", "Withdrawn", "Suspended"];

    private static readonly string[] Designs = ["Randomized", "Open-Label", "Double-Blind", "Single-Arm", "Placebo-Controlled", "Observational"];
    private static readonly string[] Interventions =
        ["Drug A", "a Monoclonal Antibody", "a Vaccine", "Behavioral Therapy", "a Digital App", "Low-Dose Therapy", "Combination Therapy", "a Medical Device"];

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="studies"/> studies unless it already exists. Written to a
    /// temporary file and moved into place, so a half-written file is never mistaken for the demo data.
    /// </summary>
    public static async Task<bool> EnsureAsync(string path, int studies = 50_000, CancellationToken cancellationToken = default)
    {
        if (File.Exists(path))
        {
            return false;
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        await WriteAsync(temporary, studies, cancellationToken).ConfigureAwait(false);
        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }

        return true;
    }

    private static async Task WriteAsync(string path, int studies, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = $"""
                CREATE TABLE {Table} (
                    nct_id TEXT PRIMARY KEY,
                    title TEXT NOT NULL,
                    phase TEXT NOT NULL,
                    status TEXT NOT NULL,
                    condition TEXT NOT NULL,
                    sponsor TEXT NOT NULL,
                    country TEXT NOT NULL,
                    start_date TEXT NOT NULL,
                    completion_date TEXT,
                    enrollment INTEGER NOT NULL
                );
                """;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT INTO {Table} VALUES ($id, $title, $phase, $status, $condition, $sponsor, $country, $start, $completion, $enrollment)";
        var parameters = new[] { "$id", "$title", "$phase", "$status", "$condition", "$sponsor", "$country", "$start", "$completion", "$enrollment" }
            .Select(name => insert.Parameters.Add(name, SqliteType.Text))
            .ToArray();
        parameters[9].SqliteType = SqliteType.Integer;
        insert.Prepare();

        foreach (var study in Generate(studies))
        {
            parameters[0].Value = study.NctId;
            parameters[1].Value = study.Title;
            parameters[2].Value = study.Phase;
            parameters[3].Value = study.Status;
            parameters[4].Value = study.Condition;
            parameters[5].Value = study.Sponsor;
            parameters[6].Value = study.Country;
            parameters[7].Value = study.StartDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            parameters[8].Value = study.CompletionDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? (object)DBNull.Value;
            parameters[9].Value = study.Enrollment;
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The studies, in order; the same for the same count on every machine.</summary>
    public static IEnumerable<Study> Generate(int count)
    {
        var random = new Random(20_240_501);
        var firstDay = new DateOnly(2005, 1, 1);
        for (var i = 0; i < count; i++)
        {
            var condition = Conditions[Skewed(random, Conditions.Length)];
            var sponsor = Sponsors[Skewed(random, Sponsors.Length)];
            var country = Countries[Skewed(random, Countries.Length)];
            var phase = Phases[Weighted(random, [4, 18, 30, 24, 10, 14])];
            var start = firstDay.AddDays(random.Next(0, 7_600));
            var status = StatusFor(random, start);
            var completion = status is "Completed" or "Terminated" or "Active, not recruiting" or "Recruiting"
                ? start.AddDays(random.Next(180, 2_900))
                : (DateOnly?)null;
            var enrollment = phase switch
            {
                "Early Phase 1" or "Phase 1" => random.Next(10, 120),
                "Phase 2" => random.Next(40, 600),
                "Phase 3" => random.Next(200, 5_000),
                "Phase 4" => random.Next(100, 3_000),
                _ => random.Next(20, 2_000),
            };
            var title = $"{Designs[random.Next(Designs.Length)]} Study of {Interventions[random.Next(Interventions.Length)]} in {condition}";
            yield return new Study($"NCT{10_000_000 + i * 7:D8}", title, phase, status, condition, sponsor, country, start, completion, status == "Withdrawn" ? 0 : enrollment);
        }
    }

    private static string StatusFor(Random random, DateOnly start)
    {
        if (start.Year >= 2025)
        {
            return random.Next(3) == 0 ? "Not yet recruiting" : "Recruiting";
        }

        return start.Year >= 2021
            ? Statuses[Weighted(random, [40, 5, 30, 15, 5, 3, 2])]
            : Statuses[Weighted(random, [3, 0, 10, 70, 10, 5, 2])];
    }

    // Lower indexes are more common, as in real registries (a few conditions and sponsors dominate).
    private static int Skewed(Random random, int length) => (int)(length * Math.Pow(random.NextDouble(), 1.6));

    private static int Weighted(Random random, int[] weights)
    {
        var roll = random.Next(weights.Sum());
        for (var i = 0; i < weights.Length; i++)
        {
            roll -= weights[i];
            if (roll < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    /// <summary>One synthetic study.</summary>
    public sealed record Study(string NctId, string Title, string Phase, string Status, string Condition, string Sponsor, string Country,
        DateOnly StartDate, DateOnly? CompletionDate, int Enrollment);
}
