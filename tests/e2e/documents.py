"""Test documents made at test time: PDFs with text and filled boxes, and TIFF/PNG/JPEG
images (Pillow), so no binary fixture is committed and every test knows what it sent."""

import io

from PIL import Image, ImageDraw


def pdf(pages=1, text="faxgate test page"):
    """A valid PDF (A4) with one line of Helvetica text and a black box per page."""
    objects = []

    def add(body):
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    pages_id = len(objects) + 2 * pages + 1  # placeholder id for the /Pages object
    kids = []
    for n in range(pages):
        stream = (f"BT /F1 24 Tf 72 760 Td ({text} {n + 1}) Tj ET\n"
                  f"0 g 72 500 200 100 re f\n").encode()
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
        page = add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                   b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                   % (pages_id, font, content))
        kids.append(page)
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>"
               % (b" ".join(b"%d 0 R" % k for k in kids), pages)) == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, catalog, xref))
    return out.getvalue()


def _drawing(width=800, height=600, mode="L"):
    image = Image.new(mode, (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([50, 50, 350, 250], fill="black")
    draw.text((60, 300), "faxgate image attachment", fill="black")
    return image


def png():
    out = io.BytesIO()
    _drawing().save(out, "PNG")
    return out.getvalue()


def jpeg():
    out = io.BytesIO()
    _drawing(mode="RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def tiff(pages=2):
    """A multi-page bilevel G4 TIFF at fax width and fine resolution."""
    images = []
    for n in range(pages):
        image = Image.new("1", (1728, 2200), 1)
        ImageDraw.Draw(image).rectangle([100 + 50 * n, 100, 600, 400], fill=0)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "TIFF", compression="group4", save_all=True, append_images=images[1:],
                   dpi=(204, 196))
    return out.getvalue()
