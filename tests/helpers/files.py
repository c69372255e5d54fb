"""Article files that need building: a news page in HTML, a minimal PDF."""
from __future__ import annotations

HTML_PAGE = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>Banjir Demak Meluas | Portal Berita</title>
<meta property="article:published_time" content="2026-01-20T08:00:00+07:00"></head>
<body>
<nav><ul><li><a href="/">Beranda</a></li><li><a href="/nasional">Nasional</a></li>
<li><a href="/olahraga">Olahraga</a></li><li><a href="/login">Masuk</a></li></ul></nav>
<header><div class="menu">Menu Utama | Berita Terkini | Indeks</div></header>
<main><article>
<h1>Banjir Demak Meluas</h1>
<p>Banjir yang melanda Kabupaten Demak, Jawa Tengah, terus meluas hingga Selasa pagi.
Sebanyak 4.000 warga dari sebelas desa terpaksa mengungsi ke tempat yang lebih aman.</p>
<p>Kepala BPBD Demak mengatakan bahwa tanggul Sungai Wulan jebol sepanjang 50 meter
akibat hujan deras yang turun sejak Minggu malam. Petugas masih berupaya menutup tanggul.</p>
<p>Pemerintah daerah telah menyiapkan dapur umum dan posko kesehatan untuk para pengungsi,
serta mengirim perahu karet untuk mengevakuasi warga yang masih terjebak di rumahnya.</p>
</article></main>
<footer><p>Hak cipta 2026 Portal Berita. Semua hak dilindungi.</p>
<a href="/privacy">Kebijakan Privasi</a> <a href="/contact">Kontak</a></footer>
</body></html>
"""


def make_pdf(lines: list[str], title: str | None = None) -> bytes:
    """Build a minimal valid one-page PDF with the given text lines (Helvetica)."""
    esc = [ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for ln in lines]
    content = "BT /F1 12 Tf 16 TL 72 720 Td " + " ".join(f"({ln}) Tj T*" for ln in esc) + " ET"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if title:
        objs.append(f"<< /Title ({title}) >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{off:010d} 00000 n \n" for off in offsets).encode()
    info = " /Info 6 0 R" if title else ""
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
