from saleor_bexio_app.cli import main

main()
