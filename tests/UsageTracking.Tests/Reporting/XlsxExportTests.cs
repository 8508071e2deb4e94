using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using DocumentFormat.OpenXml.Validation;
using UsageTracking.Reporting.Tables;
using UsageTracking.Sql;

namespace UsageTracking.Tests.Reporting;

public sealed class XlsxExportTests
{
    /// <summary>Rows from memory, for exporting exact values.</summary>
    internal sealed class ListReader(string[] names, IEnumerable<object?[]> rows) : IRowReader
    {
        private readonly IEnumerator<object?[]> _rows = rows.GetEnumerator();

        public IReadOnlyList<string> Names => names;

        public object?[] Current => _rows.Current;

        public ValueTask<bool> ReadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_rows.MoveNext());

        public ValueTask DisposeAsync()
        {
            _rows.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static async Task<MemoryStream> Export(string[] names, params object?[][] rows)
    {
        var stream = new MemoryStream();
        await XlsxExport.WriteAsync(stream, new ListReader(names, rows), ExportLimits.None, default);
        stream.Position = 0;
        return stream;
    }

    [Fact]
    public async Task Workbook_IsValidOpenXml_WithTypedCellsUnderABoldHeader()
    {
        using var stream = await Export(["id", "count", "ratio", "start", "at", "ok", "note", "empty"],
            ["NCT1", 42L, 0.25, "2024-03-01", new DateTime(2024, 3, 1, 12, 30, 0, DateTimeKind.Utc), true, "=cmd|' /C calc'!A0", null],
            ["NCT2", -7L, 1e-9, "2023-12-31", new DateTime(2023, 12, 31, 0, 0, 1, DateTimeKind.Utc), false, "bell\u0007 removed", null]);

        using var document = SpreadsheetDocument.Open(stream, false);
        var errors = new OpenXmlValidator().Validate(document).Select(e => e.Description).ToList();
        Assert.Empty(errors);

        var rows = document.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<Row>().ToList();
        Assert.Equal(3, rows.Count);
        var header = rows[0].Elements<Cell>().ToList();
        Assert.Equal(["id", "count", "ratio", "start", "at", "ok", "note", "empty"], header.Select(c => c.InnerText));
        Assert.All(header, c => Assert.Equal(1u, c.StyleIndex!.Value));

        var first = rows[1].Elements<Cell>().ToList();
        Assert.Equal(CellValues.InlineString, first[0].DataType!.Value);
        Assert.Null(first[1].DataType);
        Assert.Equal("42", first[1].CellValue!.Text);
        Assert.Equal("0.25", first[2].CellValue!.Text);
        Assert.Equal(new DateTime(2024, 3, 1).ToOADate(), double.Parse(first[3].CellValue!.Text, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2u, first[3].StyleIndex!.Value);
        Assert.Equal(new DateTime(2024, 3, 1, 12, 30, 0).ToOADate(), double.Parse(first[4].CellValue!.Text, System.Globalization.CultureInfo.InvariantCulture), 9);
        Assert.Equal(3u, first[4].StyleIndex!.Value);
        Assert.Equal(CellValues.Boolean, first[5].DataType!.Value);
        Assert.Equal("1", first[5].CellValue!.Text);
        Assert.Equal("=cmd|' /C calc'!A0", first[6].InnerText);
        Assert.Null(first[6].CellFormula);
        Assert.Equal(7, first.Count);

        var second = rows[2].Elements<Cell>().ToList();
        Assert.Equal("-7", second[1].CellValue!.Text);
        Assert.Equal("bell removed", second[6].InnerText);
    }

    [Fact]
    public async Task RowLimit_StopsTheExport()
    {
        var stream = new MemoryStream();
        var written = await XlsxExport.WriteAsync(stream, new ListReader(["n"], Enumerable.Range(0, 100).Select(i => new object?[] { (long)i })), new ExportLimits(10), default);
        Assert.Equal(new ExportResult(10, "rows"), written);
        stream.Position = 0;
        using var document = SpreadsheetDocument.Open(stream, false);
        Assert.Equal(11, document.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<Row>().Count());
    }
}
