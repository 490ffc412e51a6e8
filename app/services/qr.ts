import QRCode from 'qrcode'

/** A QR code as inline SVG, drawn on the server (no script, nothing fetched). */
export function qrSvg(text: string) {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 220 })
}
