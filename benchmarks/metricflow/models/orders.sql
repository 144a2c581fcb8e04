select * from {{ source('raw', 'shop__orders') }}
