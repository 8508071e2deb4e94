using System.Globalization;
using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Spreadsheet;
using UsageTracking.Sql;

namespace UsageTracking.Reporting.Tables;

/// <summary>
/// Writes a query's rows to an .xlsx workbook with typed cells (numbers, dates, booleans, text) under a bold, frozen
/// header row — streaming, so memory stays flat however many rows there are. The SpreadsheetML parts are written
/// with <see cref="OpenXmlWriter"/>; the package around them is a zip written in create mode, entry by entry.
/// (DocumentFormat.OpenXml 2.x insists on a readable package, and System.IO.Packaging then buffers every part in
/// memory until the end, which for a million rows means hundreds of megabytes.)
/// </summary>
public static class XlsxExport
{
    private const uint BoldStyle = 1;
    private const uint DateStyle = 2;
    private const uint DateTimeStyle = 3;
    private const int MaxCellText = 32_767;
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes the rows of <paramref name="reader"/> to <paramref name="output"/> within <paramref name="limits"/>.</summary>
    public static async Task<ExportResult> WriteAsync(Stream output, IRowReader reader, ExportLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(limits);
        string? cutBy = null;
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        WriteText(zip, "[Content_Types].xml", ContentTypes);
        WriteText(zip, "_rels/.rels", PackageRelationships);
        WriteText(zip, "xl/_rels/workbook.xml.rels", WorkbookRelationships);
        WritePart(zip, "xl/workbook.xml", writer => writer.WriteElement(
            new Workbook(new Sheets(new Sheet { Name = "Result", SheetId = 1, Id = "rIdSheet1" }))));
        WritePart(zip, "xl/styles.xml", writer => writer.WriteElement(Stylesheet()));

        long rows = 0;
        var entry = zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.Fastest);
        await using (var stream = entry.Open())
        using (var writer = OpenXmlWriter.Create(stream, Utf8NoBom))
        {
            writer.WriteStartDocument();
            writer.WriteStartElement(new Worksheet(), [], [new KeyValuePair<string, string>("r", "http://schemas.openxmlformats.org/officeDocument/2006/relationships")]);
            writer.WriteElement(new SheetViews(new SheetView(new Pane { VerticalSplit = 1, TopLeftCell = "A2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen }) { WorkbookViewId = 0 }));
            writer.WriteStartElement(new SheetData());
            writer.WriteStartElement(new Row());
            foreach (var name in reader.Names)
            {
                writer.WriteElement(TextCell(new Cell(), name, BoldStyle));
            }

            writer.WriteEndElement();

            // One reusable cell per column: a million rows must not mean ten million cell objects.
            var cells = reader.Names.Select(_ => new Cell()).ToArray();
            var row = new Row();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (rows >= limits.MaxRows || rows % 256 == 0 && Written(output) >= limits.MaxBytes)
                {
                    cutBy = rows >= limits.MaxRows ? "rows" : "bytes";
                    break;
                }

                writer.WriteStartElement(row);
                var values = reader.Current;
                for (var i = 0; i < cells.Length; i++)
                {
                    if (values[i] is { } value)
                    {
                        writer.WriteElement(Fill(cells[i], value));
                    }
                }

                writer.WriteEndElement();
                rows++;
            }

            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        return new ExportResult(rows, cutBy);
    }

    /// <summary>Bytes the output holds so far (a file, or any seekable stream); 0 when it cannot say.</summary>
    internal static long Written(Stream output) => output.CanSeek ? output.Position : 0;

    private static void WritePart(ZipArchive zip, string name, Action<OpenXmlWriter> write)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        using var writer = OpenXmlWriter.Create(stream, Utf8NoBom);
        writer.WriteStartDocument();
        write(writer);
    }

    private static void WriteText(ZipArchive zip, string name, string text)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        stream.Write(Utf8NoBom.GetBytes(text));
    }

    private static Cell Fill(Cell cell, object value)
    {
        switch (value)
        {
            case long or int or short or byte or decimal:
                return NumberCell(cell, Convert.ToString(value, CultureInfo.InvariantCulture)!);
            case double d when double.IsFinite(d):
                return NumberCell(cell, d.ToString("R", CultureInfo.InvariantCulture));
            case float f when float.IsFinite(f):
                return NumberCell(cell, f.ToString("R", CultureInfo.InvariantCulture));
            case bool b:
                Reset(cell, CellValues.Boolean, null);
                cell.CellValue = new CellValue(b ? "1" : "0");
                return cell;
            case DateTime dt:
                return DateCell(cell, dt);
            case DateTimeOffset dto:
                return DateCell(cell, dto.UtcDateTime);
            case DateOnly date:
                return DateCell(cell, date.ToDateTime(TimeOnly.MinValue));
            case string s when TableValues.IsIsoDate(s) && DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed):
                return DateCell(cell, parsed);
            case byte[] bytes:
                return TextCell(cell, $"({bytes.Length} bytes)", null);
            default:
                return TextCell(cell, Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", null);
        }
    }

    private static void Reset(Cell cell, CellValues? type, uint? style)
    {
        cell.RemoveAllChildren();
        cell.DataType = type is { } t ? new EnumValue<CellValues>(t) : null;
        cell.StyleIndex = style is { } s ? new UInt32Value(s) : null;
    }

    private static Cell NumberCell(Cell cell, string text)
    {
        Reset(cell, null, null);
        cell.CellValue = new CellValue(text);
        return cell;
    }

    private static Cell DateCell(Cell cell, DateTime value)
    {
        if (value.Year < 1900)
        {
            return TextCell(cell, value.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), null);
        }

        Reset(cell, null, value.TimeOfDay == TimeSpan.Zero ? DateStyle : DateTimeStyle);
        cell.CellValue = new CellValue(value.ToOADate().ToString("R", CultureInfo.InvariantCulture));
        return cell;
    }

    private static Cell TextCell(Cell cell, string text, uint? style)
    {
        Reset(cell, CellValues.InlineString, style);
        cell.InlineString = new InlineString(new Text(XmlSafe(text)) { Space = SpaceProcessingModeValues.Preserve });
        return cell;
    }

    // XML 1.0 cannot carry most control characters, and Excel caps a cell at 32,767 characters.
    private static string XmlSafe(string text)
    {
        if (text.Length > MaxCellText)
        {
            text = text[..MaxCellText];
        }

        return text.AsSpan().IndexOfAnyInRange('\0', '\u001f') < 0 && !text.Contains('\uFFFE', StringComparison.Ordinal) && !text.Contains('\uFFFF', StringComparison.Ordinal)
            ? text
            : new string(text.Where(c => !((c < 0x20 && c is not ('\t' or '\n' or '\r')) || c is '\uFFFE' or '\uFFFF')).ToArray());
    }

    private static Stylesheet Stylesheet() => new(
        new NumberingFormats(
            new NumberingFormat { NumberFormatId = 164, FormatCode = "yyyy-mm-dd" },
            new NumberingFormat { NumberFormatId = 165, FormatCode = "yyyy-mm-dd hh:mm:ss" }) { Count = 2 },
        new Fonts(new Font(), new Font(new Bold())) { Count = 2 },
        new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 })) { Count = 2 },
        new Borders(new Border()) { Count = 1 },
        new CellFormats(
            new CellFormat(),
            new CellFormat { FontId = 1, ApplyFont = true },
            new CellFormat { NumberFormatId = 164, ApplyNumberFormat = true },
            new CellFormat { NumberFormatId = 165, ApplyNumberFormat = true }) { Count = 4 });

    private const string ContentTypes = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>
        """;

    private const string PackageRelationships = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdBook" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
        """;

    private const string WorkbookRelationships = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdSheet1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>
        """;
}
