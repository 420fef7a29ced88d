"""The centre's figures: the daily digest, the monthly and annual reports (text, charts, the Word
document) and the CLI that imports call records and prints them."""
